"""Trained models as data: a numpy evaluator for tree ensembles, features, training."""
