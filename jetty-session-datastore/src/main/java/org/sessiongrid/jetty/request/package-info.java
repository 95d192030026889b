/**
 * The request scope in front of SessionGrid contexts ({@link org.sessiongrid.jetty.request.SessionGridRequestHandler}):
 * the save before the response is committed, the 503 when the grid cannot produce or save a session, the
 * cluster-wide session lock of a request ({@code lockingMode}), and the check of the handler's place.
 */
package org.sessiongrid.jetty.request;
