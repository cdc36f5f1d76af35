"""`greenhouse demo`: the whole closed loop on one machine with nothing installed."""
