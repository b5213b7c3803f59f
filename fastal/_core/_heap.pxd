# (key, index) heaps shared by the compiled kernels.
#
# Two orders are used:
# * "k best" (k-NN): a max-heap of the k smallest (key, index) pairs seen so
#   far; the top is the worst kept pair, and (key, index) order makes ties go
#   to the smaller index whatever order candidates arrive in.
# * "largest first" (greedy selection): a max-heap by key, ties to the
#   smaller index, with push / pop / sift-down.


cdef inline bint after(double ka, long long ia, double kb, long long ib) noexcept nogil:
    """(ka, ia) comes after (kb, ib) in (key, index) order."""
    return ka > kb or (ka == kb and ia > ib)


cdef inline bint kbest_push(double* keys, long long* idx, Py_ssize_t k,
                            double key, long long j) noexcept nogil:
    """Offer (key, j) to a k-best heap; True if it was kept."""
    cdef Py_ssize_t pos = 0, child
    if not after(keys[0], idx[0], key, j):
        return False
    while True:
        child = 2 * pos + 1
        if child >= k:
            break
        if child + 1 < k and after(keys[child + 1], idx[child + 1], keys[child], idx[child]):
            child = child + 1
        if after(keys[child], idx[child], key, j):
            keys[pos] = keys[child]
            idx[pos] = idx[child]
            pos = child
        else:
            break
    keys[pos] = key
    idx[pos] = j
    return True


cdef inline void kbest_sort(double* keys, long long* idx, Py_ssize_t k) noexcept nogil:
    """Sort a k-best heap's pairs by (key, index) in place (insertion sort: k is small)."""
    cdef Py_ssize_t a, b
    cdef double v
    cdef long long j
    for a in range(1, k):
        v = keys[a]
        j = idx[a]
        b = a - 1
        while b >= 0 and after(keys[b], idx[b], v, j):
            keys[b + 1] = keys[b]
            idx[b + 1] = idx[b]
            b = b - 1
        keys[b + 1] = v
        idx[b + 1] = j


cdef inline bint first(double ka, long long ia, double kb, long long ib) noexcept nogil:
    """(ka, ia) is chosen before (kb, ib): larger key, ties to the smaller index."""
    return ka > kb or (ka == kb and ia < ib)


cdef inline void top_sift_down(double* keys, long long* idx, Py_ssize_t size,
                               Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t child
    cdef double key = keys[pos]
    cdef long long x = idx[pos]
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and first(keys[child + 1], idx[child + 1], keys[child], idx[child]):
            child = child + 1
        if first(keys[child], idx[child], key, x):
            keys[pos] = keys[child]
            idx[pos] = idx[child]
            pos = child
        else:
            break
    keys[pos] = key
    idx[pos] = x


cdef inline void top_sift_up(double* keys, long long* idx, Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t parent
    cdef double key = keys[pos]
    cdef long long x = idx[pos]
    while pos > 0:
        parent = (pos - 1) // 2
        if first(key, x, keys[parent], idx[parent]):
            keys[pos] = keys[parent]
            idx[pos] = idx[parent]
            pos = parent
        else:
            break
    keys[pos] = key
    idx[pos] = x


cdef inline void top_pop(double* keys, long long* idx, Py_ssize_t* size) noexcept nogil:
    """Remove the top of a largest-first heap."""
    size[0] = size[0] - 1
    if size[0] > 0:
        keys[0] = keys[size[0]]
        idx[0] = idx[size[0]]
        top_sift_down(keys, idx, size[0], 0)
