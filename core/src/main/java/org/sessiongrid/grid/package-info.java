/**
 * The public API of the grid for container adapters: {@link org.sessiongrid.grid.SessionGrid} (one
 * per cluster name per JVM, shared by reference count) and a {@link org.sessiongrid.grid.SessionStore}
 * per webapp namespace.
 */
package org.sessiongrid.grid;
