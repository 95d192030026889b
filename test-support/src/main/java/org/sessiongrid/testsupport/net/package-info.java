/** Loopback ports for the processes a test starts. */
package org.sessiongrid.testsupport.net;
