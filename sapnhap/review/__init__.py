"""Archivists' review: the review sheet, decisions back into the database, page images, masking."""
