"""sluice.connectors"""
