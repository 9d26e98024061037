// libolm (Debian libolm-dev): Olm and Megolm for Matrix end-to-end encryption, and its "PK"
// encryption for the server-side key backup.
#include <olm/olm.h>
#include <olm/pk.h>
