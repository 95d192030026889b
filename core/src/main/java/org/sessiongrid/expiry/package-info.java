/**
 * Session expiry: the batched access times that feed the store's expiry index, and the task by
 * which only a segment's primary expires a session.
 */
package org.sessiongrid.expiry;
