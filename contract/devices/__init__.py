"""Field devices as they really encode their values: Modbus tables, data types, word and byte order, scale."""
