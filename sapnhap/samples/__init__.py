"""Realistic generated dossiers of merged units, with ground truth (see `sapnhap.samples.generator`).

Real citizens' dossiers cannot be published; this package makes look-alikes with known answers, in
the spirit of the FEBRL data generator of record-linkage research: configurable, deterministic
(the same seed gives the same bytes) and documented. `python -m sapnhap.samples --help`.
"""
