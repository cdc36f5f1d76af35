"""The production diary (VietGAP record book), harvest lots, their labels, public pages and exports (docs/diary.md)."""
