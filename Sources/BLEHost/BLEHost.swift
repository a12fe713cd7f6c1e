// Transports and roles of the HCI host stack.
