"""Hostile and broken inputs, generated on the fly (nothing large is committed)."""
import gzip
import os

BODY = "Bài viết có nội dung thật sự dài để trình trích xuất lấy ra được một đoạn văn bản hoàn chỉnh và đầy đủ."

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 2 else "") + ";") * 10}">' for i in range(2, 10))
    + f"]><html><body><p>&lol9;</p><p>{BODY}</p></body></html>"
).encode("utf-8")

XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f"<html><body><p>&x;</p><p>{BODY}</p></body></html>"
).encode("utf-8")


def deep_html(depth: int = 100_000) -> bytes:
    return ("<html><body>" + "<div>" * depth + f"<p>{BODY}</p>" + "</div>" * depth + "</body></html>").encode()


def write_corpus(root, fixtures, big_mb: int = 50, lines: int = 200_000) -> dict[str, str]:
    """Write the hostile corpus; returns {expected id: expected status}."""
    root.mkdir(parents=True, exist_ok=True)
    legacy = fixtures / "legacy"
    files = {
        "empty.txt": b"",
        "blank.txt": b"  \n\t\n   \n",
        "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        "archive.txt": gzip.compress(("Hà Nội " * 100).encode()),
        "bad bytes.txt": ("Đây là dòng đầu tiên của bài viết.\n" * 30).encode() + b"\xff\xfe\xc3(" + "Dòng cuối.\n".encode(),
        "utf16 no bom.txt": ("Tiêu đề bài báo\r\nMột đoạn văn khác hẳn, được lưu bằng UTF-16 mà không có dấu thứ tự byte ở đầu tệp.\r\n").encode("utf-16-le"),
        "windows-1258.txt": (legacy / "wiki.cp1258.txt").read_bytes(),
        "tcvn3.txt": (legacy / "demo1.tcvn3.txt").read_bytes(),
        "one line.txt": ("Hà Nội là thủ đô của Việt Nam. " * (big_mb * 1_000_000 // 33)).encode(),
        "many lines.txt": "\n".join(
            f"Dòng {i} có nội dung khác nhau số {i * 7}." if i % 3 else "Xem thêm: tin khác" for i in range(lines)
        ).encode(),
        "deep.html": deep_html(),
        "laughs.html": LAUGHS,
        "xxe.html": XXE,
        "bài viết tiếng Việt có dấu cách.txt": f"Tiêu đề\n\n{BODY}\n".encode(),
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    outside = root.parent / "outside-secret.txt"
    outside.write_text("bí mật ngoài thư mục đầu vào\n", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    # A named pipe, and a link to it under a name that looks like a document: opening either
    # would wait for a writer forever. Neither is a document (counted as skipped entries).
    os.mkfifo(root / "pipe")
    (root / "pipe link.txt").symlink_to("pipe")
    return {
        "empty": "rejected", "blank": "rejected", "image": "rejected", "archive": "rejected",
        "bad bytes": "ok", "utf16 no bom": "ok", "windows-1258": "ok", "tcvn3": "ok",
        "one line": "ok", "many lines": "ok", "deep": "any", "laughs": "any", "xxe": "any",
        "bài viết tiếng Việt có dấu cách": "ok", "link": "rejected",
    }
