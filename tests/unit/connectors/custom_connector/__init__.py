"""Tests of the custom connector runtime: SDK wire shapes, links, invocation."""
