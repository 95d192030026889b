/**
 * What a test class leaves running: {@link org.sessiongrid.testsupport.threads.LeftThreadsCheck}, a JUnit
 * extension that fails a class whose grid members' or JGroups channels' threads outlive it.
 */
package org.sessiongrid.testsupport.threads;
