// POSIX-style guest API over the kernel's primitives.

export { EAGAIN, EBUSY, EINVAL, EPERM, ETIMEDOUT, Pthread } from "./pthread.js";
