"""HTTP clients of outside data services (PJM Data Miner 2, ERCOT MIS, ...): no Prefect imports."""
