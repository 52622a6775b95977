"""sluice.protocol"""
