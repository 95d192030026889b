/** The work directories of test fixtures (node bases, logs). */
package org.sessiongrid.testsupport.files;
