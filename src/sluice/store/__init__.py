"""sluice.store"""
