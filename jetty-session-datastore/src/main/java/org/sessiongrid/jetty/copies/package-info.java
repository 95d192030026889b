/**
 * This node's cached copies of a context's sessions as the SessionGrid store sees them: what the store
 * tells them (a session changed elsewhere, ended) and asks of them (is one cached, is one in use), and
 * the one way a stale copy leaves a Jetty cache.
 */
package org.sessiongrid.jetty.copies;
