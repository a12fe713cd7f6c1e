// libbluetooth (BlueZ) headers for the HCI and L2CAP sockets BLEHost opens on a board:
// Debian's libbluetooth-dev. Only structures and constants are used from Swift; the
// sockets themselves are plain POSIX calls.
#include <sys/socket.h>
#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/hci_lib.h>
#include <bluetooth/l2cap.h>
