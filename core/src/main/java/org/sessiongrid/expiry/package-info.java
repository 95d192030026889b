/**
 * Session expiry: the time-ordered index every owner keeps of the records it holds, the batched
 * access times that feed it, and the task by which only a segment's primary expires a session.
 */
package org.sessiongrid.expiry;
