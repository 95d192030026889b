/** How Jetty session data maps onto grid records: per-attribute serialization and the metadata blob. */
package org.sessiongrid.jetty.mapping;
