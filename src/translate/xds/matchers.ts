/** Stage B: request matchers and header operations shared by routes, virtual hosts and filters. */
import type { HeaderMatch, HeadersPolicy, QueryMatch } from '../../model/ir.js';
import {
  type HeaderMatcher,
  type HeaderValueOption,
  HeaderValueOption_HeaderAppendAction,
  type QueryParameterMatcher,
  type StringMatcher,
} from './types.js';

/** A string matcher with ignore_case written only when true. */
function stringMatch(pattern: StringMatcher['matchPattern'], ignoreCase: boolean | undefined): StringMatcher {
  return ignoreCase === true ? { matchPattern: pattern, ignoreCase: true } : { matchPattern: pattern };
}

export function buildHeaderMatcher(header: HeaderMatch): HeaderMatcher {
  const m = header.match;
  let specifier: HeaderMatcher['headerMatchSpecifier'];
  switch (m.kind) {
    case 'regex':
      specifier = {
        $case: 'stringMatch',
        value: { matchPattern: { $case: 'safeRegex', value: { regex: m.value } } },
      };
      break;
    case 'exact':
      specifier = {
        $case: 'stringMatch',
        value: stringMatch({ $case: 'exact', value: m.value }, m.ignoreCase),
      };
      break;
    case 'contains':
      specifier = {
        $case: 'stringMatch',
        value: stringMatch({ $case: 'contains', value: m.value }, m.ignoreCase),
      };
      break;
    case 'present':
      specifier = { $case: 'presentMatch', value: true };
      break;
  }
  return {
    name: header.name,
    headerMatchSpecifier: specifier,
    ...(header.invert ? { invertMatch: true } : {}),
    ...(header.treatMissingAsEmpty === true ? { treatMissingHeaderAsEmpty: true } : {}),
  };
}

export function buildQueryParameterMatcher(query: QueryMatch): QueryParameterMatcher {
  const m = query.match;
  switch (m.kind) {
    case 'present':
      return { name: query.name, queryParameterMatchSpecifier: { $case: 'presentMatch', value: true } };
    case 'regex':
      return {
        name: query.name,
        queryParameterMatchSpecifier: {
          $case: 'stringMatch',
          value: { matchPattern: { $case: 'safeRegex', value: { regex: m.value } } },
        },
      };
    default:
      return {
        name: query.name,
        queryParameterMatchSpecifier: {
          $case: 'stringMatch',
          value: stringMatch(
            { $case: m.kind, value: m.value } as StringMatcher['matchPattern'],
            m.ignoreCase,
          ),
        },
      };
  }
}

/** Overwrite-or-add header values, in the given order. */
export function buildHeaderValueOptions(
  headers: readonly { readonly name: string; readonly value: string }[],
): HeaderValueOption[] {
  return headers.map((h) => ({
    header: { key: h.name, value: h.value },
    appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  }));
}

/**
 * `<prefix>HeadersToAdd` / `<prefix>HeadersToRemove` fields for a header policy; empty lists and an
 * absent policy give no fields.
 */
export function headerOperations(
  request: HeadersPolicy | undefined,
  response: HeadersPolicy | undefined,
): {
  requestHeadersToAdd?: HeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: HeaderValueOption[];
  responseHeadersToRemove?: string[];
} {
  return {
    ...(request !== undefined && request.set.length > 0
      ? { requestHeadersToAdd: buildHeaderValueOptions(request.set) }
      : {}),
    ...(request !== undefined && request.remove.length > 0
      ? { requestHeadersToRemove: [...request.remove] }
      : {}),
    ...(response !== undefined && response.set.length > 0
      ? { responseHeadersToAdd: buildHeaderValueOptions(response.set) }
      : {}),
    ...(response !== undefined && response.remove.length > 0
      ? { responseHeadersToRemove: [...response.remove] }
      : {}),
  };
}
