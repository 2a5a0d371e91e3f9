"""ksef-mcu: the KSeF certificates module (MCU) as a self-hostable server, a client, and local tools."""

__version__ = "0.1.0"
