"""Near-duplicate detection: inside a document, and across the corpus (MinHash + LSH)."""
