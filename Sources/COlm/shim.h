// libolm (Debian libolm-dev): Olm and Megolm for Matrix end-to-end encryption.
#include <olm/olm.h>
