/** Demonstrations of the grid for people trying it out. */
package org.sessiongrid.demo;
