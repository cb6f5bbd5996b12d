import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Custom search attributes: how an operator finds the execution behind a complaint ("ORD-10427 has no invoice").
export const SOURCE = defineSearchAttributeKey('Source', SearchAttributeType.KEYWORD);
export const EVENT_TYPE = defineSearchAttributeKey('EventType', SearchAttributeType.KEYWORD);
export const EVENT_ID = defineSearchAttributeKey('EventId', SearchAttributeType.KEYWORD);
export const BUSINESS_KEY = defineSearchAttributeKey('BusinessKey', SearchAttributeType.KEYWORD);
export const INTEGRATION_STATUS = defineSearchAttributeKey('IntegrationStatus', SearchAttributeType.KEYWORD);
export const API_VERSION_DRIFT = defineSearchAttributeKey('ApiVersionDrift', SearchAttributeType.BOOL);

export const ALL_SEARCH_ATTRIBUTES = [
  SOURCE,
  EVENT_TYPE,
  EVENT_ID,
  BUSINESS_KEY,
  INTEGRATION_STATUS,
  API_VERSION_DRIFT,
];

/**
 * `needs-review`: the flow finished without doing what it was for, on purpose, because a person must decide (e.g. a
 * payment whose currency or amount does not match its invoice). It alerted; re-running it would change nothing.
 */
export const INTEGRATION_STATUSES = ['processing', 'retrying', 'completed', 'failed', 'needs-review'] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];
