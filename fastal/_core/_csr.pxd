# Sparse rows (CSR with sorted column indices, no duplicates, float64 values).
#
# A pair's raw sum runs over the union of the two rows' columns in increasing
# order.  Columns where both rows are zero add exactly nothing to the dense
# sequential sums of fastal._core._reference (0 - 0 = 0, 0 * x = 0), so these
# are bitwise the sums the twin computes on the same rows made dense.
from libc.math cimport sqrt, fabs, frexp, ldexp, INFINITY

from fastal._core._common cimport (EUCLIDEAN, MANHATTAN, COSINE, FASTAL_TINY, FASTAL_KEY_UNIT,
                                   cosine_from_dot, key_to_distance)


cdef struct CSR:
    const long long* indptr
    const int* indices
    const double* data
    Py_ssize_t n_rows


cdef inline CSR csr_from(const long long[::1] indptr, const int[::1] indices,
                         const double[::1] data, Py_ssize_t n_rows):
    """A CSR view of the arrays (the caller keeps them alive)."""
    cdef CSR m
    m.indptr = &indptr[0]
    m.indices = &indices[0] if indices.shape[0] else NULL
    m.data = &data[0] if data.shape[0] else NULL
    m.n_rows = n_rows
    return m


cdef inline double csr_raw_pair(const CSR* A, Py_ssize_t i, const CSR* B, Py_ssize_t j,
                                int metric) noexcept nogil:
    """Sequential sum over the union of columns: squared euclidean, manhattan, or dot."""
    cdef long long p = A.indptr[i], pe = A.indptr[i + 1]
    cdef long long q = B.indptr[j], qe = B.indptr[j + 1]
    cdef double s = 0.0, t
    cdef int ka, kb
    while p < pe or q < qe:
        ka = A.indices[p] if p < pe else 2147483647
        kb = B.indices[q] if q < qe else 2147483647
        if ka == kb:
            if metric == EUCLIDEAN:
                t = A.data[p] - B.data[q]
                s = s + t * t
            elif metric == MANHATTAN:
                s = s + fabs(A.data[p] - B.data[q])
            else:
                s = s + A.data[p] * B.data[q]
            p += 1
            q += 1
        elif ka < kb:
            if metric == EUCLIDEAN:
                s = s + A.data[p] * A.data[p]
            elif metric == MANHATTAN:
                s = s + fabs(A.data[p])
            p += 1
        else:
            if metric == EUCLIDEAN:
                s = s + B.data[q] * B.data[q]
            elif metric == MANHATTAN:
                s = s + fabs(B.data[q])
            q += 1
    return s


cdef inline double csr_robust_euclidean(const CSR* A, Py_ssize_t i, const CSR* B,
                                        Py_ssize_t j) noexcept nogil:
    """robust_euclidean of _common.pxd over the union of columns."""
    cdef long long p, pe, q, qe
    cdef double m = 0.0, t, s = 0.0, scale
    cdef int ka, kb, e, rounds
    for rounds in range(2):
        p = A.indptr[i]
        pe = A.indptr[i + 1]
        q = B.indptr[j]
        qe = B.indptr[j + 1]
        if rounds == 1:
            if m == 0.0:
                return 0.0
            frexp(m, &e)
            scale = ldexp(1.0, -e)
        while p < pe or q < qe:
            ka = A.indices[p] if p < pe else 2147483647
            kb = B.indices[q] if q < qe else 2147483647
            if ka == kb:
                t = A.data[p] - B.data[q]
                p += 1
                q += 1
            elif ka < kb:
                t = A.data[p]
                p += 1
            else:
                t = 0.0 - B.data[q]
                q += 1
            if rounds == 0:
                if fabs(t) > m:
                    m = fabs(t)
            else:
                t = t * scale
                s = s + t * t
    return ldexp(sqrt(s), e)


cdef inline double csr_key(double raw, const CSR* A, Py_ssize_t i, const CSR* B, Py_ssize_t j,
                           int metric) noexcept nogil:
    """The ranking key of a pair from its raw sum (see _common.pxd's pair_key)."""
    cdef double dist
    if metric == EUCLIDEAN:
        if raw >= FASTAL_TINY:
            return raw
        dist = csr_robust_euclidean(A, i, B, j)
        if dist > 0.0:
            return -(FASTAL_KEY_UNIT / dist)
        return -INFINITY
    if metric == MANHATTAN:
        return raw
    return cosine_from_dot(raw)


cdef inline double csr_distance(const CSR* A, Py_ssize_t i, const CSR* B, Py_ssize_t j,
                                int metric) noexcept nogil:
    cdef double key = csr_key(csr_raw_pair(A, i, B, j, metric), A, i, B, j, metric)
    if metric == EUCLIDEAN:
        return key_to_distance(key)
    return key


cdef inline double csr_square_norm(const CSR* A, Py_ssize_t i) noexcept nogil:
    cdef long long p
    cdef double s = 0.0
    for p in range(A.indptr[i], A.indptr[i + 1]):
        s = s + A.data[p] * A.data[p]
    return s
