"""The prompt library of a device: hold / recording-notice message slots and IVR menus."""
