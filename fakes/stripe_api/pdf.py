"""A minimal one-page PDF of text lines, for ``invoice_pdf`` links."""


def _literal(text: str) -> bytes:
    """A PDF string literal in WinAnsi (Helvetica's encoding), so ``€`` and ``×`` print."""
    raw = text.encode("cp1252", "replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def text_pdf(lines: list[str]) -> bytes:
    """An A4 page showing ``lines`` top to bottom, the first one as a heading."""
    heading, *body = lines or [""]
    stream = b"BT /F1 18 Tf 56 780 Td 22 TL " + _literal(heading) + b" Tj /F1 11 Tf 16 TL T*"
    for line in body:
        stream += b" T* " + _literal(line) + b" Tj"
    stream += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    document = b"%PDF-1.4\n"
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref_at = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return document
