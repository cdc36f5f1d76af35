"""Simulated greenhouse physics and field nodes speaking Modbus TCP."""
