/**
 * The threads a member runs besides the container's and JGroups' own: one factory names them
 * {@code sessiongrid-<member>-<role>} so that a thread dump or a log line says whose and what each is.
 */
package org.sessiongrid.threads;
