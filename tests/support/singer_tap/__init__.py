"""A Singer tap written for the tests (`tap-sluice-desk`), and the wheel it is installed from."""
