/**
 * The public API of the grid for container adapters: {@link org.sessiongrid.grid.SessionGrid} (one
 * per cluster name per JVM, shared by reference count) and a {@link org.sessiongrid.grid.SessionStore}
 * per webapp namespace.
 *
 * <p>Behind it, package-private, one member: {@code GridNode} composes its role objects (the inbound
 * router, the client of primaries, the membership, the topology installer, the pause detector, the
 * listeners), each owning its state on one named thread or under one lock; see docs/design.md.
 */
package org.sessiongrid.grid;
