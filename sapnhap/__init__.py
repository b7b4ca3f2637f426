"""sapnhap: domain logic for migrating Vietnamese local-government archives after the 2025 merger.

This package has no Dagster import. It holds file intake and fixity (`sapnhap.intake.files`), PDF and image
handling (`sapnhap.ocr.pdf`, `sapnhap.ocr.images`), OCR (`sapnhap.ocr`), Vietnamese text rules
(`sapnhap.text`), document grouping and typing (`sapnhap.documents.titles`) and the unified database
(`sapnhap.db`).
"""

__version__ = "0.1.0"
