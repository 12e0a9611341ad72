"""Model monitoring: drift and accuracy checks, and the pure decision whether to retrain."""
