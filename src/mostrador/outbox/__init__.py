"""The one send pipeline: every outgoing text Mostrador posts goes through `pipeline.deliver`."""
