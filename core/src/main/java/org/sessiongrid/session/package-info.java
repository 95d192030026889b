/**
 * The session record model: what the grid stores for one HTTP session and the changes a request
 * makes to it, and the tokens that name a session lock's holder. Container-neutral; attribute values travel as serialized bytes.
 */
package org.sessiongrid.session;
