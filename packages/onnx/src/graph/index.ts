/**
 * Graph helpers: a node builder, value infos, producer/consumer look-ups (through outer scopes for subgraphs).
 * @module
 */
export { GraphBuilder, valueInfo, OPSET, IR_VERSION, type Dim, type OpOptions } from './graph-builder.js';
export type { AttrValue } from './attributes.js';
export {
  indexGraph,
  lookupInitializer,
  lookupProducer,
  subgraphsOf,
  freeNames,
  type GraphIndex,
  type NodeRef,
} from './graph-index.js';
