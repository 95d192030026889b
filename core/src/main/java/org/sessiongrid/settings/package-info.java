/**
 * The SessionGrid settings as a container adapter receives them: text under the one set of names
 * (the Tomcat {@code <Manager>} attribute, the Jetty property and the system property
 * {@code sessiongrid.<name>}), resolved together into a {@link org.sessiongrid.grid.GridConfig} and
 * the adapter settings by {@link org.sessiongrid.settings.Settings}, so that every container accepts,
 * trims, orders and rejects them by the same rules.
 */
package org.sessiongrid.settings;
