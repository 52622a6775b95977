"""sluice.service"""
