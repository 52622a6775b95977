"""sluice.api"""
