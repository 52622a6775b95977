"""sluice.scheduler"""
