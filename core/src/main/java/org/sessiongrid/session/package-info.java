/**
 * The session record model: what the grid stores for one HTTP session and the changes a request
 * makes to it. Container-neutral; attribute values travel as serialized bytes.
 */
package org.sessiongrid.session;
