"""Field-protocol drivers the edge agent polls nodes through."""
