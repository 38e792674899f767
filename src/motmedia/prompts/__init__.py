"""The prompt library of a device: hold / recording-notice message slots and IVR menus,
their audio in PBX formats, an Asterisk-style export, and a round-trip intelligibility check."""
