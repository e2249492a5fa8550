/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libnl error codes -> errno (see nlerr.h). */
#include "sources/nlerr.h"

#include <errno.h>
#include <netlink/errno.h>
#include <stdlib.h>

static const struct {
	int nle, err;
} table[] = {
    {NLE_PERM, EPERM},
    {NLE_NOACCESS, EACCES},
    {NLE_OBJ_NOTFOUND, ENOENT},
    {NLE_NOMEM, ENOMEM},
    {NLE_AGAIN, EAGAIN},
    {NLE_INTR, EINTR},
    {NLE_INVAL, EINVAL},
    {NLE_RANGE, ERANGE},
    {NLE_PROTO_MISMATCH, EPROTONOSUPPORT},
    {NLE_AF_NOSUPPORT, EAFNOSUPPORT},
    {NLE_BAD_SOCK, EBADF},
    {NLE_EXIST, EEXIST},
    {NLE_BUSY, EBUSY},
    {NLE_NODEV, ENODEV},
    {NLE_OPNOTSUPP, EOPNOTSUPP},
    {NLE_NOADDR, EADDRNOTAVAIL},
    {NLE_MSG_TRUNC, EMSGSIZE},
    {NLE_MSG_TOOSHORT, EBADMSG},
    {NLE_SEQ_MISMATCH, EBADMSG},
};

int nlerr_errno(int nlerr, int saved_errno)
{
	int code = abs(nlerr);

	if (saved_errno > 0 && nl_syserr2nlerr(saved_errno) == code)
		return saved_errno;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].nle == code)
			return table[i].err;
	return EIO;
}
