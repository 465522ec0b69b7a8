"""The release record: the phase records of one deployment (and its rollbacks) joined into one
checklist, one ``record.json`` and one self-contained HTML report (see docs/release.md)."""
