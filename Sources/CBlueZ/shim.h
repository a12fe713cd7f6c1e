// libbluetooth (BlueZ) headers for the HCI and L2CAP sockets BLEHost opens on a board:
// Debian's libbluetooth-dev. Only structures and constants are used from Swift; the
// sockets themselves are plain POSIX calls.
//
// The C library comes from Swift's own Glibc module rather than being included again
// here: included textually, <sys/socket.h> would become part of this module too, and its
// declarations (SOCK_STREAM, ...) would then be hidden from Swift files that import Glibc
// but not CBlueZ.
#pragma clang module import SwiftGlibc
#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <bluetooth/l2cap.h>
