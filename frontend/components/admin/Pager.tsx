type Props = {
  offset: number;
  limit: number;
  total: number;
  /** Show the rows from this offset on. */
  onOffset: (offset: number) => void;
};

/** Previous and next page of a table shown `limit` rows at a time. */
export function Pager({ offset, limit, total, onOffset }: Props) {
  return (
    <div className="flex gap-2">
      <button
        type="button"
        className="btn-secondary"
        disabled={offset === 0}
        onClick={() => onOffset(Math.max(0, offset - limit))}
      >
        Previous page
      </button>
      <button
        type="button"
        className="btn-secondary"
        disabled={offset + limit >= total}
        onClick={() => onOffset(offset + limit)}
      >
        Next page
      </button>
    </div>
  );
}
